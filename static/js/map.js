/* The map of catches: clustered points, each at the place this viewer may see. */
(function () {
  "use strict";
  var element = document.getElementById("sightings-map");
  var status = document.getElementById("map-status");
  if (!element || !window.L) { return; }
  var ZERO_UUID = "00000000-0000-0000-0000-000000000000";
  var options = CatchMaps.settings();
  var made = CatchMaps.create(element, options);
  var clusters = L.markerClusterGroup({ maxClusterRadius: 50 });
  made.map.addLayer(clusters);

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span.innerHTML;
  }

  function popup(point) {
    var name = point.species ? text(point.species.name) : "Unidentified";
    var html = point.species
      ? '<a href="' + options.species_url.replace("/0/", "/" + point.species.id + "/") + '">' + name + "</a>"
      : name;
    if (point.date) { html += "<br>" + text(point.date); }
    if (point.obscured) {
      html += "<br>Approximate place (within " + Math.round(point.uncertainty_m / 1000) + " km)";
    }
    if (point.own && point.sighting_id) {
      html += '<br><a href="' + options.sighting_url.replace(ZERO_UUID, point.sighting_id) + '">Your catch</a>';
    }
    return html;
  }

  function plural(count, one, many) { return count + " " + (count === 1 ? one : many); }

  // The viewer's own catches that have no point here, said rather than silently missing.
  function leftOutText(leftOut) {
    var reasons = [];
    if (leftOut.rejected) {
      reasons.push(plural(leftOut.rejected, "photo", "photos") + " the classifier found no known species in");
    }
    if (leftOut.failed) { reasons.push(plural(leftOut.failed, "photo", "photos") + " it could not read"); }
    if (leftOut.no_place) { reasons.push(plural(leftOut.no_place, "catch", "catches") + " with no place"); }
    if (!reasons.length) { return ""; }
    return " Not on the map: your " + reasons.join(", ") + " (see My catches).";
  }

  var loaded = fetch(options.points_url, { credentials: "same-origin", cache: "no-store" })
    .then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    });

  Promise.all([loaded, made.ready]).then(function (results) {
    var points = results[0].points;
    var markers = points.map(function (point) {
      var name = point.species ? point.species.name : "Unidentified";
      return L.marker([point.latitude, point.longitude], {
        icon: CatchMaps.pin(point.own ? "own" : ""),
        title: name + (point.own ? " (yours)" : ""),
        alt: name,
      }).bindPopup(popup(point));
    });
    clusters.addLayers(markers);
    if (markers.length) {
      made.map.fitBounds(clusters.getBounds(), { maxZoom: 8, padding: [20, 20] });
    } else if (made.outlines.getLayers().length) {
      made.map.fitBounds(made.outlines.getBounds());
    }
    status.textContent = (markers.length === 1 ? "1 catch shown." : markers.length + " catches shown.") +
      leftOutText(results[0].left_out_own || {});
    element.dataset.loaded = String(markers.length);
  }).catch(function () {
    status.textContent = "The catches could not be loaded. Reload the page to try again.";
  });
})();

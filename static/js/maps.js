/* Shared Leaflet set-up. The base layer is a map of the world's land and country borders served with the
   pages (Natural Earth 1:50m, static/vendor/world-atlas), so tapping the map works offline and with no
   tile server; with TILE_URL set, tiles replace it. The imported regions' outlines (lakes, states) go on top. */
(function () {
  "use strict";

  function settings() {
    var element = document.getElementById("map-settings");
    return element ? JSON.parse(element.textContent) : {};
  }

  function create(element, options) {
    var map = L.map(element, { maxZoom: 18, attributionControl: Boolean(options.tile_url) }).setView([20, 0], 2);
    var land = L.geoJSON(null, {
      interactive: false,
      style: { color: "#8a8f75", weight: 1, fillColor: "#f3f0e2", fillOpacity: 1 },
    }).addTo(map);
    var basemap = options.basemap_url && window.topojson && !options.tile_url
      ? fetch(options.basemap_url)
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (world) {
          if (world) { land.addData(topojson.feature(world, world.objects.countries)); }
          element.dataset.basemap = String(land.getLayers().length);
        })
        .catch(function () { element.dataset.basemap = "0"; })
      : Promise.resolve();
    if (options.tile_url) {
      L.tileLayer(options.tile_url, { maxZoom: 18, attribution: options.tile_attribution }).addTo(map);
    }
    var outlines = L.geoJSON(null, {
      interactive: false,
      style: { color: "#0b5a7a", weight: 1.5, fillColor: "#9ecae1", fillOpacity: 0.3 },
    }).addTo(map);
    var ready = fetch(options.regions_url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { outlines.addData(data); } })
      .catch(function () { return null; })
      .then(function () { return basemap; })
      .then(function () { outlines.bringToFront(); return outlines; });
    return { map: map, outlines: outlines, ready: ready };
  }

  function pin(kind) {
    return L.divIcon({ className: "pin " + (kind || ""), html: "", iconSize: [16, 16], iconAnchor: [8, 8] });
  }

  window.CatchMaps = { settings: settings, create: create, pin: pin };
})();

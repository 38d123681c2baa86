/* Shared Leaflet set-up: region outlines as the base layer, map tiles only when TILE_URL is set. */
(function () {
  "use strict";

  function settings() {
    var element = document.getElementById("map-settings");
    return element ? JSON.parse(element.textContent) : {};
  }

  function create(element, options) {
    var map = L.map(element, { maxZoom: 18, attributionControl: Boolean(options.tile_url) }).setView([20, 0], 2);
    if (options.tile_url) {
      L.tileLayer(options.tile_url, { maxZoom: 18, attribution: options.tile_attribution }).addTo(map);
    }
    var outlines = L.geoJSON(null, {
      interactive: false,
      style: { color: "#0b5a7a", weight: 1.5, fillColor: "#9ecae1", fillOpacity: 0.3 },
    }).addTo(map);
    var ready = fetch(options.regions_url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { outlines.addData(data); } return outlines; })
      .catch(function () { return outlines; });
    return { map: map, outlines: outlines, ready: ready };
  }

  function pin(kind) {
    return L.divIcon({ className: "pin " + (kind || ""), html: "", iconSize: [16, 16], iconAnchor: [8, 8] });
  }

  window.CatchMaps = { settings: settings, create: create, pin: pin };
})();

/* The catch form, enhanced: the offset of a typed local time, geolocation, a map to tap, photo preview, and an upload to the
   API with a progress bar. Without this script the form posts to the page itself and still works. */
(function () {
  "use strict";
  var form = document.getElementById("submit-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }

  var $ = function (id) { return document.getElementById(id); };
  var cameraInput = $("id_photo");
  var galleryInput = $("id_photo_gallery");
  var latitude = $("id_latitude");
  var longitude = $("id_longitude");
  var accuracy = $("id_location_accuracy_m");
  var observedAt = $("id_observed_at");
  var utcOffset = $("id_utc_offset_minutes");
  var locationStatus = $("location-status");
  var upload = $("upload");
  var progress = $("upload-progress");
  var percent = $("upload-percent");
  var uploadLabel = $("upload-label");
  var button = $("submit-button");
  var formErrors = $("form-errors");
  var ZERO_UUID = "00000000-0000-0000-0000-000000000000";

  // --- Time: the browser's local time, sent with its UTC offset ---------------------------------
  function pad(value) { return String(value).padStart(2, "0"); }
  function localValue(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes());
  }
  function offsetMinutes(value) { return -new Date(value).getTimezoneOffset(); }
  function isoWithOffset(value) {
    var offset = offsetMinutes(value);
    var sign = offset >= 0 ? "+" : "-";
    var absolute = Math.abs(offset);
    return value + ":00" + sign + pad(Math.floor(absolute / 60)) + ":" + pad(absolute % 60);
  }
  function syncOffset() { utcOffset.value = observedAt.value ? offsetMinutes(observedAt.value) : ""; }

  // Left blank: the platform then uses the time the photo was taken (EXIF), which "now" would hide.
  observedAt.max = localValue(new Date());
  syncOffset();
  observedAt.addEventListener("change", syncOffset);

  // --- Photo: one of the two inputs, with a preview ---------------------------------------------
  function chosenFile() {
    return (cameraInput.files && cameraInput.files[0]) || (galleryInput.files && galleryInput.files[0]) || null;
  }
  function showPhoto(input, other) {
    if (!input.files || !input.files[0]) { return; }
    other.value = "";
    var file = input.files[0];
    $("photo-name").textContent = "Chosen: " + file.name + " (" + Math.round(file.size / 1024) + " KB)";
    var preview = $("photo-preview");
    if (preview.src) { URL.revokeObjectURL(preview.src); }
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
    clearError("photo");
  }
  cameraInput.addEventListener("change", function () { showPhoto(cameraInput, galleryInput); });
  galleryInput.addEventListener("change", function () { showPhoto(galleryInput, cameraInput); });

  // --- Length: in cm or inches, the unit of the place's rules unless the angler chose one --------
  var lengthInput = $("id_length");  // not form.elements.length: that is the count of the controls
  var unitInput = $("id_length_unit");
  var unitHint = $("length-unit-hint");
  var unitChosen = false;
  var UNIT_NAMES = { cm: "centimetres", in: "inches" };
  unitInput.addEventListener("change", function () { unitChosen = true; });
  function lengthCm() {
    var value = parseFloat(lengthInput.value);
    if (isNaN(value)) { return lengthInput.value; }
    return (unitInput.value === "in" ? Math.round(value * 25.4) / 10 : value).toString();
  }
  function followPlaceUnit(lat, lon) {
    if (!form.dataset.regulationsUrl) { return; }
    var day = (observedAt.value || localValue(new Date())).slice(0, 10);
    var query = "?latitude=" + lat + "&longitude=" + lon + "&date=" + day;
    fetch(form.dataset.regulationsUrl + query, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer || !answer.known) { unitHint.textContent = ""; return; }
        var unit = answer.length_unit === "in" ? "in" : "cm";
        unitHint.textContent = "The rules there are in " + UNIT_NAMES[unit] + ".";
        if (!unitChosen) { unitInput.value = unit; }
      })
      .catch(function () { unitHint.textContent = ""; });
  }

  // --- Place: geolocation, a tap on the map, or typed coordinates -------------------------------
  var marker = null;
  var mapped = null;
  function placeMarker() {
    if (!mapped) { return; }
    var lat = parseFloat(latitude.value);
    var lon = parseFloat(longitude.value);
    if (isNaN(lat) || isNaN(lon)) { return; }
    if (marker) { marker.setLatLng([lat, lon]); } else {
      marker = L.marker([lat, lon], { icon: CatchMaps.pin("here"), title: "Your catch", alt: "Your catch" })
        .addTo(mapped.map);
    }
    mapped.map.setView([lat, lon], Math.max(mapped.map.getZoom(), 8));
  }
  function setPlace(lat, lon, metres) {
    latitude.value = lat.toFixed(6);
    longitude.value = lon.toFixed(6);
    accuracy.value = metres == null ? "" : Math.round(metres);
    clearError("latitude");
    clearError("longitude");
    placeMarker();
    followPlaceUnit(latitude.value, longitude.value);
  }

  if (window.L && window.CatchMaps) {
    var mapElement = $("submit-map");
    mapElement.hidden = false;
    mapped = CatchMaps.create(mapElement, CatchMaps.settings());
    mapped.ready.then(function (outlines) {
      if (marker) { return; }
      if (outlines.getLayers().length) { mapped.map.fitBounds(outlines.getBounds()); }
    });
    mapped.map.on("click", function (event) {
      setPlace(event.latlng.lat, event.latlng.lng, null);
      locationStatus.textContent = "Place set from the map.";
    });
    placeMarker();
  }
  [latitude, longitude].forEach(function (input) {
    input.addEventListener("change", function () {
      accuracy.value = "";
      placeMarker();
      if (latitude.value && longitude.value) { followPlaceUnit(latitude.value, longitude.value); }
    });
  });

  var locate = $("use-location");
  if (navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      locationStatus.textContent = "Finding your location…";
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var coords = position.coords;
          setPlace(coords.latitude, coords.longitude, coords.accuracy);
          locationStatus.textContent = "Location found (within " + Math.round(coords.accuracy) + " m).";
        },
        function (error) {
          locationStatus.textContent = error.code === error.PERMISSION_DENIED
            ? "Location permission was refused: tap the map or type the coordinates instead."
            : "Your location could not be found: tap the map or type the coordinates instead.";
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  // --- Errors next to their fields --------------------------------------------------------------
  var FIELD_ALIASES = { photo_url: "photo", length_cm: "length" };
  function errorElement(field) { return form.querySelector('[data-error-for="' + field + '"]'); }
  function clearError(field) {
    var element = errorElement(field);
    if (!element) { return; }
    element.hidden = true;
    element.textContent = "";
    var wrapper = form.querySelector('[data-field="' + field + '"]');
    if (wrapper) { wrapper.classList.remove("invalid"); }
    var input = form.elements[field];
    if (input && input.removeAttribute) { input.removeAttribute("aria-invalid"); }
  }
  function clearErrors() {
    form.querySelectorAll("[data-error-for]").forEach(function (element) { clearError(element.dataset.errorFor); });
    formErrors.hidden = true;
    formErrors.textContent = "";
  }
  function addFormError(message) {
    var paragraph = document.createElement("p");
    paragraph.textContent = message;
    formErrors.appendChild(paragraph);
    formErrors.hidden = false;
  }
  function showErrors(errors) {
    var first = null;
    Object.keys(errors).forEach(function (key) {
      var messages = [].concat(errors[key]).join(" ");
      var field = FIELD_ALIASES[key] || key;
      var element = errorElement(field);
      if (!element) {
        addFormError(messages);
        return;
      }
      element.textContent = messages;
      element.hidden = false;
      var wrapper = form.querySelector('[data-field="' + field + '"]');
      if (wrapper) { wrapper.classList.add("invalid"); }
      var input = form.elements[field];
      if (input && input.setAttribute) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", element.id || "");
      }
      first = first || (field === "photo" ? cameraInput : input) || element;
    });
    if (!formErrors.hidden) { formErrors.setAttribute("tabindex", "-1"); formErrors.focus(); }
    else if (first && first.focus) { first.focus(); }
  }

  // --- Sending, with a real upload progress bar -------------------------------------------------
  function payload(file) {
    var data = new FormData();
    data.append("photo", file, file.name || "photo.jpg");
    [["latitude", latitude], ["longitude", longitude], ["location_accuracy_m", accuracy],
     ["notes", form.elements.notes],
     ["license", form.elements.license], ["project", form.elements.project]].forEach(function (pair) {
      if (pair[1].value !== "") { data.append(pair[0], pair[1].value); }
    });
    if (lengthInput.value !== "") { data.append("length_cm", lengthCm()); }
    data.append("geoprivacy", form.elements.geoprivacy.value);
    if (observedAt.value) { data.append("observed_at", isoWithOffset(observedAt.value)); }
    return data;
  }
  function setProgress(value) {
    progress.value = value;
    progress.textContent = value + "%";
    percent.textContent = value + "%";
  }
  function finish() {
    button.disabled = false;
    upload.hidden = true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var file = chosenFile();
    if (!file) {
      showErrors({ photo: "Take a photo or choose one from your gallery." });
      return;
    }
    var request = new XMLHttpRequest();
    request.open("POST", form.dataset.apiUrl);
    request.setRequestHeader("X-CSRFToken", form.elements.csrfmiddlewaretoken.value);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (progressEvent) {
      if (progressEvent.lengthComputable) {
        setProgress(Math.min(100, Math.round((progressEvent.loaded / progressEvent.total) * 100)));
      }
    });
    request.upload.addEventListener("load", function () {
      setProgress(100);
      uploadLabel.textContent = "Uploaded. Waiting for the server…";
    });
    request.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(request.responseText); } catch (error) { body = null; }
      if (request.status === 201 && body && body.id) {
        setProgress(100);
        uploadLabel.textContent = "Sent! Opening the result…";
        window.location.assign(form.dataset.resultUrl.replace(ZERO_UUID, body.id));
        return;
      }
      finish();
      if (request.status === 400 && body) {
        showErrors(body);
      } else if (request.status === 401 || request.status === 403) {
        showErrors({ detail: (body && body.detail) || "You are signed out: log in again, then send it again." });
      } else if (request.status === 413) {
        showErrors({ photo: "The photo is too large." });
      } else {
        showErrors({ detail: (body && body.detail) || "The server could not take the photo (" + request.status + "). Try again." });
      }
    });
    request.addEventListener("error", function () {
      finish();
      showErrors({ detail: "The server could not be reached. Check your connection and try again." });
    });
    setProgress(0);
    uploadLabel.textContent = "Uploading your photo…";
    upload.hidden = false;
    button.disabled = true;
    request.send(payload(file));
  });
})();

/* Times in the reader's own time zone, on any page that loads this; and the result page follows a
   pending sighting until it is classified, then shows the answer (not one that waits for a
   moderator: the server marks it data-follow="false"). */
(function () {
  "use strict";
  var POLL_MS = 1000;
  var MAX_POLLS = 300;

  function enhance(root) {
    root.querySelectorAll("time[data-local]").forEach(function (element) {
      var date = new Date(element.getAttribute("datetime"));
      if (!isNaN(date)) {
        element.textContent = date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
      }
    });
    var filter = root.querySelector("#species-filter");
    var select = root.querySelector("#id_species");
    if (filter && select) {
      var options = Array.prototype.slice.call(select.options);
      root.querySelectorAll(".js-only").forEach(function (element) { element.hidden = false; });
      filter.addEventListener("input", function () {
        var wanted = filter.value.trim().toLowerCase();
        var chosen = select.value;
        select.replaceChildren.apply(select, options.filter(function (option) {
          return !option.value || !wanted || option.textContent.toLowerCase().indexOf(wanted) !== -1;
        }));
        select.value = chosen;
      });
    }
  }

  function follow(section, polls) {
    if (section.dataset.status !== "pending" || section.dataset.follow === "false") { return; }
    if (polls >= MAX_POLLS) {
      section.querySelector(".pending p").textContent =
        "This is taking longer than usual. Reload the page later to see the answer.";
      return;
    }
    window.setTimeout(function () {
      fetch(section.dataset.panelUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.text();
        })
        .then(function (html) {
          var template = document.createElement("template");
          template.innerHTML = html.trim();
          var fresh = template.content.querySelector("#result");
          if (fresh && fresh.dataset.status !== "pending") {
            section.replaceWith(fresh);
            enhance(fresh);
          } else {
            follow(section, polls + 1);
          }
        })
        .catch(function () { follow(section, polls + 1); });
    }, POLL_MS);
  }

  enhance(document);
  var section = document.getElementById("result");
  if (section) { follow(section, 0); }
})();

/* The map of needs: one circle per postcode district centre, from the page's data-markers.
   The list beside it is the same content and works without JavaScript; this only adds the map.
   Tiles come from OpenStreetMap, loaded by the browser; points are never exact. */
(function () {
  "use strict";
  var el = document.getElementById("needs-map");
  if (!el || typeof L === "undefined") {
    return;
  }
  var markers = JSON.parse(el.getAttribute("data-markers") || "[]");
  var area = JSON.parse(el.getAttribute("data-area") || "null");
  el.hidden = false;
  var map = L.map(el, { scrollWheelZoom: false });
  L.tileLayer(el.getAttribute("data-tiles"), {
    maxZoom: 17,
    referrerPolicy: "strict-origin-when-cross-origin",
    attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
  }).addTo(map);

  function popup(point) {
    var box = document.createElement("div");
    var title = document.createElement("p");
    var n = point.needs.length;
    title.textContent = "District " + point.district + ": " + n + (n === 1 ? " need" : " needs");
    box.appendChild(title);
    var list = document.createElement("ul");
    point.needs.forEach(function (need) {
      var item = document.createElement("li");
      if (need.url) {
        var link = document.createElement("a");
        link.href = need.url;
        link.textContent = need.title;
        item.appendChild(link);
      } else {
        item.textContent = need.title;
      }
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  var bounds = L.latLngBounds([]);
  markers.forEach(function (point) {
    var n = point.needs.length;
    var circle = L.circleMarker([point.lat, point.lon], {
      radius: 8 + Math.min(n, 8),
      className: "need-marker",
      weight: 2
    });
    circle.bindPopup(popup(point));
    circle.bindTooltip(point.district + ": " + n + (n === 1 ? " need" : " needs"));
    circle.addTo(map);
    bounds.extend([point.lat, point.lon]);
  });
  if (area && area.radius_km) {
    var centre = L.latLng(area.lat, area.lon);
    L.circle(centre, { radius: area.radius_km * 1000, className: "group-area" }).addTo(map);
    bounds.extend(centre.toBounds(area.radius_km * 2000));
  }
  if (area && area.points) {
    area.points.forEach(function (p) {
      L.circleMarker([p.lat, p.lon], { radius: 6, className: "group-area" })
        .bindTooltip(p.district).addTo(map);
      bounds.extend([p.lat, p.lon]);
    });
  }
  if (bounds.isValid()) {
    map.fitBounds(bounds.pad(0.2), { maxZoom: 14 });
  } else {
    map.setView([54.0, -2.5], 5);
  }
})();

/* A stand-in analytics tag for the consent demo page: it sets a cookie and says it ran. Served
   by the portal itself; the banner loads it only after analytics cookies are accepted. */
(function () {
  document.cookie = "velux_demo_analytics=" + Date.now() + "; Max-Age=31536000; Path=/; SameSite=Lax";
  var status = document.getElementById("demo-analytics-status");
  if (status) { status.textContent = status.getAttribute("data-loaded-text"); status.className = "demo-on"; }
  window.dataLayer = window.dataLayer || [];
  window.dataLayer.push({ event: "velux_demo_page_view" });
})();

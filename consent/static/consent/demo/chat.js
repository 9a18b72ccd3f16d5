/* A stand-in web-chat widget for the consent demo page (as SnapEngage would be): it sets a
   cookie and shows a chat button. Loaded by the banner only after its category is accepted. */
(function () {
  document.cookie = "velux_demo_chat=" + Date.now() + "; Max-Age=31536000; Path=/; SameSite=Lax";
  var status = document.getElementById("demo-chat-status");
  if (status) { status.textContent = status.getAttribute("data-loaded-text"); status.className = "demo-on"; }
  var widget = document.createElement("button");
  widget.type = "button";
  widget.className = "demo-chat-widget";
  widget.id = "demo-chat-widget";
  widget.textContent = status ? status.getAttribute("data-widget-text") : "Chat";
  document.body.appendChild(widget);
})();

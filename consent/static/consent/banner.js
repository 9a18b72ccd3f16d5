/*
 * VELUX cookie banner (consent app). One small script of the portal's own: no CDN, no inline
 * script or style, so it runs under a strict Content-Security-Policy and VELUX's other
 * websites can include it:
 *
 *   <link rel="stylesheet" href="https://privacy.velux.be/static/consent/banner.css">
 *   <script src="https://privacy.velux.be/static/consent/banner.js"
 *           data-config="https://privacy.velux.be/consent/banner/config/" defer></script>
 *
 * Tags that need consent are written as inert placeholders and loaded only once their
 * category is accepted:
 *
 *   <script type="text/plain" data-consent-category="analytics_cookies"
 *           data-src="/static/analytics.js"></script>
 *
 * - Nothing non-essential is set or loaded before a choice; accept all and reject all sit side
 *   by side on the first layer, with a choice per category naming its vendors.
 * - The choice is kept in a first-party cookie (velux_consent) with the banner version and
 *   language shown; for a signed-in person it is also recorded in the consent ledger.
 * - Google Consent Mode v2: denied by default, updated from the choice.
 * - Global Privacy Control (the server's reading of Sec-GPC, or navigator.globalPrivacyControl)
 *   keeps the categories it opts out of off and locked.
 * - "Cookie settings" on every page reopens it; withdrawing deletes the category's cookies and
 *   reloads the page so its tags are gone. Opening the settings changes nothing.
 */
(function () {
  "use strict";

  var COOKIE = "velux_consent";
  var COOKIE_DAYS = 180;
  var script = document.currentScript;
  var configUrl = (script && script.getAttribute("data-config")) || "/consent/banner/config/";
  var language = (script && script.getAttribute("data-lang")) ||
    (document.documentElement.getAttribute("lang") || "nl").slice(0, 2);

  // Google Consent Mode v2: everything denied until the person chooses.
  window.dataLayer = window.dataLayer || [];
  function gtag() { window.dataLayer.push(arguments); }
  var SIGNALS = ["ad_storage", "ad_user_data", "ad_personalization", "analytics_storage"];
  var defaults = { wait_for_update: 500 };
  SIGNALS.forEach(function (signal) { defaults[signal] = "denied"; });
  gtag("consent", "default", defaults);

  var config = null;
  var root = null;
  var opener = null;

  function readCookie() {
    var match = document.cookie.match(new RegExp("(?:^|; )" + COOKIE + "=([^;]*)"));
    if (!match) { return null; }
    try { return JSON.parse(decodeURIComponent(match[1])); } catch (error) { return null; }
  }

  function writeCookie(choices) {
    var value = encodeURIComponent(JSON.stringify({
      v: config.version, l: config.language, c: choices, t: Math.floor(Date.now() / 1000)
    }));
    var secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = COOKIE + "=" + value + "; Max-Age=" + (COOKIE_DAYS * 86400) +
      "; Path=/; SameSite=Lax" + secure;
  }

  function gpcOn() {
    return Boolean(config && config.gpc) || navigator.globalPrivacyControl === true;
  }

  function lockedByGpc(category) {
    return Boolean(category.gpcOptOut) && gpcOn();
  }

  // Off whatever is chosen: a GPC signal, or the signed-in person's restriction or objection.
  function locked(category) {
    return lockedByGpc(category) || Boolean(category.lockedByLimit);
  }

  function normalise(choices) {
    var result = {};
    config.categories.forEach(function (category) {
      result[category.code] = !locked(category) && Boolean(choices && choices[category.code]);
    });
    return result;
  }

  function ledgerCoversAll() {
    var recorded = config.recorded;
    return Boolean(recorded) && config.categories.every(function (c) { return c.code in recorded; });
  }

  function cookieChoice() {
    var cookie = readCookie();
    return cookie && cookie.v === config.version && cookie.c ? normalise(cookie.c) : null;
  }

  // For a signed-in person the ledger is the truth once it holds a choice for every category
  // (made on any device); otherwise, and for everyone else, the first-party cookie.
  function storedChoice() {
    return ledgerCoversAll() ? normalise(config.recorded) : cookieChoice();
  }

  function consentModeUpdate(choices) {
    var update = {};
    SIGNALS.forEach(function (signal) { update[signal] = "denied"; });
    config.categories.forEach(function (category) {
      if (choices[category.code]) {
        (category.consentMode || []).forEach(function (signal) { update[signal] = "granted"; });
      }
    });
    gtag("consent", "update", update);
  }

  function loadTags(choices) {
    var placeholders = document.querySelectorAll('script[type="text/plain"][data-consent-category]');
    Array.prototype.forEach.call(placeholders, function (placeholder) {
      var code = placeholder.getAttribute("data-consent-category");
      if (!choices[code] || placeholder.getAttribute("data-consent-loaded")) { return; }
      var tag = document.createElement("script");
      tag.src = placeholder.getAttribute("data-src");
      tag.setAttribute("data-consent-category", code);
      placeholder.setAttribute("data-consent-loaded", "true");
      placeholder.parentNode.insertBefore(tag, placeholder.nextSibling);
    });
  }

  function deleteCookies(category) {
    var names = document.cookie.split("; ").map(function (pair) { return pair.split("=")[0]; });
    var host = location.hostname;
    var domains = ["", host, "." + host.split(".").slice(-2).join(".")];
    (category.cookies || []).forEach(function (pattern) {
      var prefix = pattern.charAt(pattern.length - 1) === "*" ? pattern.slice(0, -1) : null;
      names.forEach(function (name) {
        if (prefix !== null ? name.indexOf(prefix) !== 0 : name !== pattern) { return; }
        domains.forEach(function (domain) {
          document.cookie = name + "=; Max-Age=0; Path=/" + (domain ? "; Domain=" + domain : "");
        });
      });
    });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function record(choices) {
    if (!config.recordUrl) { return Promise.resolve(); }
    return fetch(config.recordUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ choices: choices, version: config.version, language: config.language })
    }).catch(function () { /* the cookie still holds the choice */ });
  }

  function save(choices) {
    var previous = storedChoice();
    choices = normalise(choices);
    writeCookie(choices);
    if (config.recordUrl) { config.recorded = choices; }
    var withdrawn = config.categories.filter(function (category) {
      return previous && previous[category.code] && !choices[category.code];
    });
    withdrawn.forEach(deleteCookies);
    record(choices).then(function () {
      if (withdrawn.length) {
        location.reload();  // the withdrawn tags are gone only from a fresh page
        return;
      }
      consentModeUpdate(choices);
      loadTags(choices);
      close();
      document.dispatchEvent(new CustomEvent("velux:consent", { detail: choices }));
    });
  }

  function all(value) {
    var choices = {};
    config.categories.forEach(function (category) { choices[category.code] = value; });
    return choices;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function button(text, className, onClick) {
    var node = element("button", "vcb-button " + (className || ""), text);
    node.type = "button";
    node.addEventListener("click", onClick);
    return node;
  }

  function build() {
    var texts = config.texts;
    root = element("div", "vcb");
    root.setAttribute("role", "dialog");
    root.setAttribute("aria-modal", "false");
    root.setAttribute("aria-labelledby", "vcb-title");
    root.setAttribute("aria-describedby", "vcb-intro");
    root.hidden = true;

    var title = element("h2", "vcb-title", texts.title);
    title.id = "vcb-title";
    var intro = element("p", "vcb-intro", texts.intro);
    intro.id = "vcb-intro";
    root.appendChild(title);
    root.appendChild(intro);

    var details = element("form", "vcb-details");
    details.hidden = true;
    details.setAttribute("aria-label", texts.choose);
    config.categories.forEach(function (category) {
      var item = element("div", "vcb-category");
      var id = "vcb-" + category.code;
      var row = element("div", "vcb-switch");
      var input = element("input");
      input.type = "checkbox";
      input.id = id;
      input.name = category.code;
      input.setAttribute("role", "switch");
      if (locked(category)) { input.disabled = true; }
      var label = element("label", "", category.name);
      label.htmlFor = id;
      row.appendChild(input);
      row.appendChild(label);
      item.appendChild(row);
      var description = element("p", "vcb-description", category.description);
      description.id = id + "-text";
      item.appendChild(description);
      var describedBy = [description.id];
      if (category.vendors.length) {
        var vendors = element("p", "vcb-vendors", texts.vendors + ": " + category.vendors.map(function (v) {
          return v.name + (v.outsideEea ? " (" + texts.outsideEea + ")" : "");
        }).join(", "));
        vendors.id = id + "-vendors";
        describedBy.push(vendors.id);
        item.appendChild(vendors);
      }
      if (locked(category)) {
        var reason = element("p", "vcb-locked",
          lockedByGpc(category) ? texts.gpcLocked : texts.limitLocked);
        reason.id = id + "-locked";
        describedBy.push(reason.id);
        item.appendChild(reason);
      }
      input.setAttribute("aria-describedby", describedBy.join(" "));
      details.appendChild(item);
    });
    root.appendChild(details);

    var actions = element("div", "vcb-actions");
    actions.appendChild(button(texts.rejectAll, "vcb-reject", function () { save(all(false)); }));
    actions.appendChild(button(texts.acceptAll, "vcb-accept", function () { save(all(true)); }));
    var choose = button(texts.choose, "vcb-choose", function () {
      if (details.hidden) {
        details.hidden = false;
        choose.textContent = texts.save;
        var first = details.querySelector("input:not([disabled])");
        if (first) { first.focus(); }
        return;
      }
      var choices = {};
      config.categories.forEach(function (category) {
        choices[category.code] = details.elements[category.code].checked;
      });
      save(choices);
    });
    actions.appendChild(choose);
    root.appendChild(actions);
    root.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && storedChoice()) { close(); }
    });
    root.details = details;
    root.choose = choose;
    // Right after the skip link: keyboard and screen-reader users meet the choice early,
    // and the skip link stays the first stop of every page.
    var skip = document.querySelector("body > .skip-link");
    if (skip) { skip.parentNode.insertBefore(root, skip.nextSibling); } else { document.body.insertBefore(root, document.body.firstChild); }

    opener = button(texts.settings, "vcb-open", open);
    opener.setAttribute("aria-haspopup", "dialog");
    // A page that keeps a place for it (the portal's footer) gets the button there, in its
    // flow; elsewhere it floats in a corner, where it may cover a line of text.
    var slot = document.querySelector("[data-consent-open-slot]");
    if (slot) {
      opener.className += " vcb-open--inline";
      slot.appendChild(opener);
      slot.hidden = false;
    } else {
      document.body.appendChild(opener);
    }
    document.addEventListener("click", function (event) {
      var target = event.target.closest && event.target.closest("[data-consent-open]");
      if (target) { event.preventDefault(); open(true); }
    });
  }

  // focus: when the person asked for the settings; shown by itself at a first visit, the
  // banner does not take the keyboard away from the page.
  function open(focus) {
    var current = storedChoice() || {};
    config.categories.forEach(function (category) {
      root.details.elements[category.code].checked = Boolean(current[category.code]);
    });
    var chosen = storedChoice() !== null;
    root.details.hidden = !chosen;
    root.choose.textContent = chosen ? config.texts.save : config.texts.choose;
    root.hidden = false;
    opener.hidden = true;
    root.setAttribute("tabindex", "-1");
    if (focus) { root.focus(); }
  }

  function close() {
    root.hidden = true;
    opener.hidden = false;
  }

  function start(loaded) {
    config = loaded;
    build();
    var choice = storedChoice();
    if (config.recordUrl && !ledgerCoversAll() && cookieChoice()) {
      record(cookieChoice());  // chosen before signing in: now in the ledger too
    }
    if (choice) {
      consentModeUpdate(choice);
      loadTags(choice);
      close();
    } else {
      open();
    }
  }

  var url = configUrl + (configUrl.indexOf("?") < 0 ? "?" : "&") + "lang=" + encodeURIComponent(language);
  fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.json(); })
    .then(start)
    .catch(function () { /* no banner, and nothing loaded without consent */ });

  window.veluxConsent = { open: function () { if (root) { open(true); } } };
})();

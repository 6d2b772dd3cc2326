/* Razorpay Standard Checkout stub served by the local sandbox emulator.
 *
 * new Razorpay(options).open() shows a payment modal in the page (plain DOM, no
 * dependencies). Pay / Fail call the sandbox control API, which creates a real
 * sandbox payment and queues the same webhooks Razorpay would send.
 * The sandbox base URL is this script's own URL minus "/v1/checkout.js".
 */
(function () {
  "use strict";

  var CONFIG = __SANDBOX_CONFIG__;
  var script = document.currentScript;
  var SRC = script && script.src ? script.src : "";
  var BASE = (CONFIG.base || SRC.replace(/\/v1\/checkout\.js(?:[?#].*)?$/, "")).replace(/\/+$/, "");

  var CSS = [
    ".rzp-sb-overlay{position:fixed;inset:0;z-index:2147483000;background:rgba(15,23,42,.55);",
    "display:flex;align-items:center;justify-content:center;font-family:system-ui,-apple-system,",
    "'Segoe UI',Roboto,sans-serif;color:#0f172a}",
    ".rzp-sb-box{background:#fff;width:380px;max-width:calc(100vw - 24px);border-radius:12px;",
    "box-shadow:0 20px 50px rgba(0,0,0,.35);overflow:hidden}",
    ".rzp-sb-head{background:#2563eb;color:#fff;padding:16px 20px;position:relative}",
    ".rzp-sb-head h2{margin:0;font-size:18px}.rzp-sb-head p{margin:4px 0 0;opacity:.9;font-size:13px}",
    ".rzp-sb-badge{position:absolute;top:12px;right:14px;background:#facc15;color:#422006;",
    "font-size:10px;font-weight:700;padding:2px 6px;border-radius:4px;letter-spacing:.05em}",
    ".rzp-sb-amount{font-size:24px;font-weight:700;margin-top:8px}",
    ".rzp-sb-body{padding:16px 20px}.rzp-sb-prefill{font-size:12px;color:#475569;margin-bottom:12px}",
    ".rzp-sb-methods{display:flex;gap:6px;margin-bottom:12px}",
    ".rzp-sb-methods button{flex:1;padding:8px 4px;border:1px solid #cbd5e1;background:#f8fafc;",
    "border-radius:6px;cursor:pointer;font-size:13px}",
    ".rzp-sb-methods button[aria-pressed=true]{border-color:#2563eb;background:#dbeafe;font-weight:600}",
    ".rzp-sb-body label{display:block;font-size:12px;color:#334155}",
    ".rzp-sb-body input,.rzp-sb-body select{width:100%;box-sizing:border-box;margin-top:4px;padding:8px;",
    "border:1px solid #cbd5e1;border-radius:6px;font-size:14px}",
    ".rzp-sb-msg{min-height:18px;font-size:13px;margin-top:10px}",
    ".rzp-sb-error{color:#b91c1c}.rzp-sb-status{color:#334155}",
    ".rzp-sb-actions{display:flex;gap:8px;padding:0 20px 18px}",
    ".rzp-sb-actions button{flex:1;padding:10px;border-radius:6px;border:0;font-size:14px;cursor:pointer}",
    ".rzp-sb-pay{background:#16a34a;color:#fff;font-weight:700}.rzp-sb-fail{background:#dc2626;color:#fff}",
    ".rzp-sb-close{background:#e2e8f0;color:#0f172a}",
    ".rzp-sb-actions button:disabled{opacity:.5;cursor:not-allowed}"
  ].join("");

  var METHODS = [["upi", "UPI"], ["card", "Card"], ["netbanking", "Netbanking"]];
  var BANKS = [["HDFC", "HDFC Bank"], ["ICIC", "ICICI Bank"], ["SBIN", "State Bank of India"], ["UTIB", "Axis Bank"]];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function rupees(paise) {
    var value = Number(paise || 0) / 100;
    return "\u20b9" + value.toLocaleString("en-IN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function injectStyle() {
    if (document.getElementById("rzp-sandbox-style")) return;
    document.head.appendChild(el("style", { id: "rzp-sandbox-style", text: CSS }));
  }

  function request(method, url, body) {
    var init = { method: method, headers: { "Content-Type": "application/json" } };
    if (body !== undefined) init.body = JSON.stringify(body);
    return fetch(url, init).then(function (res) {
      return res.json().then(function (data) { return { ok: res.ok, data: data }; });
    });
  }

  function formPost(url, fields) {
    var form = el("form", { method: "POST", action: url, style: "display:none" });
    Object.keys(fields).forEach(function (name) {
      form.appendChild(el("input", { type: "hidden", name: name, value: fields[name] }));
    });
    document.body.appendChild(form);
    form.submit();
  }

  function Razorpay(options) {
    if (!(this instanceof Razorpay)) return new Razorpay(options);
    this.options = options || {};
    this._listeners = {};
    this._root = null;
    this._method = "upi";
  }

  Razorpay.prototype.on = function (event, fn) {
    (this._listeners[event] = this._listeners[event] || []).push(fn);
    return this;
  };

  Razorpay.prototype._emit = function (event, payload) {
    (this._listeners[event] || []).forEach(function (fn) {
      try { fn(payload); } catch (err) { console.error(err); }
    });
  };

  Razorpay.prototype.close = function () {
    if (this._root && this._root.parentNode) this._root.parentNode.removeChild(this._root);
    if (this._onKey) document.removeEventListener("keydown", this._onKey);
    this._root = null;
  };

  Razorpay.prototype._dismiss = function () {
    var modal = this.options.modal || {};
    this.close();
    if (typeof modal.ondismiss === "function") modal.ondismiss();
  };

  Razorpay.prototype._ui = function (state, status, error) {
    var ui = this._els;
    ui.root.setAttribute("data-state", state);
    ui.status.textContent = status || "";
    ui.error.textContent = error || "";
    var busy = state === "processing" || state === "blocked";
    ui.pay.disabled = busy;
    ui.fail.disabled = busy;
  };

  Razorpay.prototype._selectMethod = function (method) {
    var ui = this._els;
    this._method = method;
    METHODS.forEach(function (m) {
      ui.methods[m[0]].setAttribute("aria-pressed", String(m[0] === method));
      ui.panels[m[0]].style.display = m[0] === method ? "block" : "none";
    });
  };

  Razorpay.prototype.open = function () {
    var self = this;
    var o = this.options;
    var prefill = o.prefill || {};
    if (this._root) return this;
    injectStyle();

    var methods = {};
    var methodButtons = METHODS.map(function (m) {
      var b = el("button", { type: "button", "data-testid": "rzp-method-" + m[0], text: m[1] });
      b.addEventListener("click", function () { self._selectMethod(m[0]); });
      methods[m[0]] = b;
      return b;
    });
    var vpa = el("input", { "data-testid": "rzp-vpa", value: "success@razorpay", autocomplete: "off" });
    var cardNumber = el("input", { "data-testid": "rzp-card-number", value: "4111 1111 1111 1111", inputmode: "numeric" });
    var bank = el("select", { "data-testid": "rzp-bank" }, BANKS.map(function (b) {
      return el("option", { value: b[0], text: b[1] });
    }));
    var panels = {
      upi: el("label", { text: "UPI ID" }, [vpa]),
      card: el("label", { text: "Card number (test)" }, [cardNumber]),
      netbanking: el("label", { text: "Bank" }, [bank])
    };
    var pay = el("button", { type: "button", className: "rzp-sb-pay", "data-testid": "rzp-pay", text: "Pay " + rupees(o.amount) });
    var fail = el("button", { type: "button", className: "rzp-sb-fail", "data-testid": "rzp-fail", text: "Fail" });
    var closeBtn = el("button", { type: "button", className: "rzp-sb-close", "data-testid": "rzp-close", text: "Close" });
    var status = el("div", { className: "rzp-sb-msg rzp-sb-status", role: "status", "data-testid": "rzp-status" });
    var error = el("div", { className: "rzp-sb-msg rzp-sb-error", role: "alert", "data-testid": "rzp-error" });
    var mandate = el("div", { className: "rzp-sb-prefill", "data-testid": "rzp-mandate" });
    var contactLine = [prefill.email, prefill.contact].filter(Boolean).join(" \u00b7 ");

    var box = el("div", { className: "rzp-sb-box" }, [
      el("div", { className: "rzp-sb-head" }, [
        el("span", { className: "rzp-sb-badge", text: "SANDBOX" }),
        el("h2", { "data-testid": "rzp-name", text: o.name || "Razorpay Sandbox" }),
        o.description ? el("p", { "data-testid": "rzp-description", text: o.description }) : null,
        el("div", { className: "rzp-sb-amount", "data-testid": "rzp-amount", text: rupees(o.amount) })
      ]),
      el("div", { className: "rzp-sb-body" }, [
        contactLine ? el("div", { className: "rzp-sb-prefill", "data-testid": "rzp-prefill", text: contactLine }) : null,
        mandate,
        el("div", { className: "rzp-sb-methods", role: "group", "aria-label": "Payment method" }, methodButtons),
        panels.upi, panels.card, panels.netbanking, status, error
      ]),
      el("div", { className: "rzp-sb-actions" }, [pay, fail, closeBtn])
    ]);
    var root = el("div", {
      className: "rzp-sb-overlay", "data-testid": "rzp-sandbox-modal", role: "dialog",
      "aria-modal": "true", "aria-label": "Razorpay sandbox checkout"
    }, [box]);

    this._root = root;
    this._els = { root: root, pay: pay, fail: fail, status: status, error: error, methods: methods, panels: panels,
      vpa: vpa, cardNumber: cardNumber, bank: bank, mandate: mandate };
    document.body.appendChild(root);
    this._selectMethod(o.method && methods[o.method] ? o.method : "upi");
    this._ui("idle", "Sandbox checkout \u2014 no real money moves.");

    pay.addEventListener("click", function () { self._attempt(false); });
    fail.addEventListener("click", function () { self._attempt(true); });
    closeBtn.addEventListener("click", function () { self._dismiss(); });
    var modalOpts = o.modal || {};
    root.addEventListener("click", function (ev) {
      if (ev.target === root && modalOpts.backdropclose) self._dismiss();
    });
    this._onKey = function (ev) {
      if (ev.key === "Escape" && modalOpts.escape !== false) self._dismiss();
    };
    document.addEventListener("keydown", this._onKey);

    if (o.key !== CONFIG.keyId) {
      this._ui("blocked", "", "Invalid key: options.key does not match this sandbox's key id.");
    } else if (!o.order_id) {
      this._ui("blocked", "", "options.order_id is required.");
    } else {
      this._checkOrder();
    }
    return this;
  };

  Razorpay.prototype._checkOrder = function () {
    var self = this;
    request("GET", BASE + "/_control/orders/" + encodeURIComponent(this.options.order_id)).then(function (res) {
      if (!self._root) return;
      if (!res.ok) self._ui("blocked", "", (res.data.error || {}).description || "Unknown order.");
      else if (res.data.order.status === "paid") self._ui("blocked", "", "This order has already been paid.");
      else if (res.data.order.token) self._mandate(res.data.order);
    }).catch(function () { /* leave the modal usable; the pay call reports errors */ });
  };

  // An authorisation order (Recurring Payments): checkout must be opened with recurring: 1
  // and the order's customer_id; only the order's method is offered (e-mandate: a bank).
  Razorpay.prototype._mandate = function (order) {
    var o = this.options;
    var ui = this._els;
    var terms = order.token;
    if ([1, "1", true].indexOf(o.recurring) < 0) {
      this._ui("blocked", "", "options.recurring must be 1: this order sets up a mandate.");
      return;
    }
    if (o.customer_id !== order.customer_id) {
      this._ui("blocked", "", "options.customer_id must be the order's customer.");
      return;
    }
    this._mandateMethod = order.method;
    var shown = order.method === "emandate" ? "netbanking" : order.method;
    METHODS.forEach(function (m) { ui.methods[m[0]].style.display = m[0] === shown ? "" : "none"; });
    this._selectMethod(shown);
    var until = new Date(terms.expire_at * 1000).toLocaleDateString("en-IN");
    ui.mandate.textContent = "Authorise auto-debits (" + terms.frequency + ") of up to " + rupees(terms.max_amount) +
      " each, until " + until + ".";
  };

  Razorpay.prototype._attempt = function (forceFail) {
    var self = this;
    var o = this.options;
    var prefill = o.prefill || {};
    var ui = this._els;
    var body = { method: this._method, email: prefill.email, contact: prefill.contact, description: o.description };
    if (o.notes && typeof o.notes === "object") body.notes = o.notes;
    if (forceFail) body.outcome = "failed";
    if (this._method === "upi") body.vpa = ui.vpa.value.trim();
    if (this._method === "card") body.card_last4 = ui.cardNumber.value.replace(/\D/g, "").slice(-4);
    if (this._method === "netbanking") body.bank = ui.bank.value;
    if (this._mandateMethod) body.method = this._mandateMethod;
    if (o.recurring !== undefined) body.recurring = o.recurring;
    if (o.customer_id) body.customer_id = o.customer_id;
    this._ui("processing", "Processing payment\u2026");
    request("POST", BASE + "/_control/orders/" + encodeURIComponent(o.order_id) + "/pay", body).then(function (res) {
      if (!res.ok) {
        self._ui("error", "", (res.data.error || {}).description || "The payment could not be made.");
      } else if (res.data.error) {
        self._failed(res.data);
      } else {
        self._succeeded(res.data);
      }
    }).catch(function (err) {
      self._ui("error", "", "Could not reach the sandbox: " + err);
    });
  };

  Razorpay.prototype._succeeded = function (response) {
    var o = this.options;
    this.close();
    if (o.callback_url && (o.redirect || typeof o.handler !== "function")) {
      formPost(o.callback_url, response);
    } else if (typeof o.handler === "function") {
      o.handler(response);
    }
  };

  Razorpay.prototype._failed = function (response) {
    var o = this.options;
    var err = response.error || {};
    this._emit("payment.failed", { error: err });
    if (o.callback_url && o.redirect) {
      this.close();
      formPost(o.callback_url, {
        "error[code]": err.code, "error[description]": err.description, "error[source]": err.source,
        "error[step]": err.step, "error[reason]": err.reason, "error[metadata]": JSON.stringify(err.metadata || {})
      });
      return;
    }
    this._ui("failed", "Payment failed. You can retry with another method.", err.description);
  };

  window.Razorpay = Razorpay;
})();

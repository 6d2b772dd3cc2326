/* The bridge to Razorpay Standard Checkout, called by the top-up panel (state/topup.py).
 * Loads checkout.js when the page has not yet, opens it with the order's options, and
 * resolves once with the outcome:
 *   {outcome: "paid", razorpay_payment_id, razorpay_order_id, razorpay_signature}
 *   {outcome: "failed" | "dismissed" | "error", error}
 * The server verifies "paid" itself: nothing here is trusted. */
window.billingAppCheckout = (options, checkoutJsUrl) =>
  new Promise((resolve) => {
    const start = () => {
      let lastError = "";
      const rzp = new window.Razorpay({
        ...options,
        handler: (response) => resolve({ outcome: "paid", ...response }),
        modal: {
          ondismiss: () => resolve({ outcome: lastError ? "failed" : "dismissed", error: lastError }),
        },
      });
      rzp.on("payment.failed", (response) => {
        lastError = (response && response.error && response.error.description) || "Payment failed";
      });
      rzp.open();
    };
    if (window.Razorpay) {
      start();
      return;
    }
    const script = document.createElement("script");
    script.src = checkoutJsUrl;
    script.onload = start;
    script.onerror = () => resolve({ outcome: "error", error: "Razorpay Checkout could not be loaded." });
    document.head.appendChild(script);
  });

"""Messages out of the hotline: the adapters that speak each provider's protocol (an SMS
gateway over HTTP, WeChat customer-service messages, an automatic call that reads the
text) and the sender that takes owed messages from the case store under a lease."""

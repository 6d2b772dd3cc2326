"""Every page path, typed once."""

LOGIN = "/login"
SIGNUP = "/signup"
DASHBOARD = "/"
BILLING = "/billing"
USAGE = "/usage"
KEYS = "/keys"
MODELS = "/models"
SETTINGS = "/settings"

NAV = (
    ("Dashboard", DASHBOARD),
    ("Billing", BILLING),
    ("Usage", USAGE),
    ("API keys", KEYS),
    ("Settings", SETTINGS),
)

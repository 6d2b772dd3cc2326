"""Every page path, typed once."""

from urllib.parse import parse_qs, urlencode, urlsplit

LOGIN = "/login"
SIGNUP = "/signup"
DASHBOARD = "/"
BILLING = "/billing"
BILLING_ADDRESS = "/billing/address"
USAGE = "/usage"
KEYS = "/keys"
MODELS = "/models"
SETTINGS = "/settings"
SECURITY = "/settings/security"
AUTO_TOPUP = "/settings/auto-topup"  # owners, admins and billing members (the `pay` permission)
ACTIVITY = "/activity"  # the audit log (account menu)
MEMBERS = "/settings/members"  # owners and admins (account menu)

NAV = (
    ("Dashboard", DASHBOARD),
    ("Billing", BILLING),
    ("Usage", USAGE),
    ("API keys", KEYS),
    ("Models", MODELS),
    ("Settings", SETTINGS),
)


def billing_address_url(next_path: str) -> str:
    """The billing-address form, coming back to `next_path` once saved."""
    return f"{BILLING_ADDRESS}?{urlencode({'next': next_path}, safe='/')}"


RECEIPT = "/billing/receipts/[payment_id]"


def receipt_url(payment_id: str) -> str:
    return f"/billing/receipts/{payment_id}"


# GST documents (docs/gst.md), by serial: INV-2627-000123, CRN-2627-000007
INVOICE = "/billing/invoices/[serial]"
CREDIT_NOTE = "/billing/credit-notes/[serial]"


def invoice_url(serial: str) -> str:
    return f"/billing/invoices/{serial}"


def credit_note_url(serial: str) -> str:
    return f"/billing/credit-notes/{serial}"


# Links sent by email (the token in the query string)
VERIFY_EMAIL = "/verify-email"
FORGOT_PASSWORD = "/forgot-password"
RESET_PASSWORD = "/reset-password"
INVITATION = "/invitations/accept"


def login_url(next_path: str) -> str:
    """Sign in, then go to `next_path` (a path on this site: services/navigation.py)."""
    return f"{LOGIN}?{urlencode({'next': next_path}, safe='/')}"


def emailed_link(base_url: str, path: str, token: str) -> str:
    return f"{base_url}{path}?{urlencode({'token': token})}"


def invitation_token(next_path: str) -> str | None:
    """The token when `next_path` (a login page's `?next=`) is an invitation link, else None."""
    parts = urlsplit(next_path)
    if parts.scheme or parts.netloc or parts.path != INVITATION:
        return None
    tokens = parse_qs(parts.query).get("token")
    return tokens[0] if tokens and tokens[0] else None


# The operator console (staff only; to anyone else each of these is a page that does not exist)
CONSOLE = "/console"
CONSOLE_ORGS = "/console/orgs"
CONSOLE_ORG = "/console/orgs/[org_id]"
CONSOLE_APPROVALS = "/console/approvals"
CONSOLE_ATTENTION = "/console/attention"
CONSOLE_PROMOS = "/console/promos"
CONSOLE_PRICES = "/console/prices"
CONSOLE_LIST = "/console/lists/[key]"  # the rows behind an overview figure

CONSOLE_NAV = (
    ("Overview", CONSOLE),
    ("Orgs", CONSOLE_ORGS),
    ("Approvals", CONSOLE_APPROVALS),
    ("Attention", CONSOLE_ATTENTION),
    ("Promos", CONSOLE_PROMOS),
    ("Prices", CONSOLE_PRICES),
)


def console_org_url(org_id: int) -> str:
    return f"/console/orgs/{org_id}"


def console_list_url(key: str, window: str | None = None) -> str:
    """The list behind an overview figure (`key`: its list_key; `window`: today or 30d)."""
    return f"/console/lists/{key}" + (f"?{urlencode({'window': window})}" if window else "")


def console_search_url(q: str) -> str:
    return f"{CONSOLE_ORGS}?{urlencode({'q': q})}"

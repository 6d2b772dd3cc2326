"""GET /admin/gst/gstr1?month=YYYY-MM: the month's GSTR-1 CSV sheets in one zip
(services/gst_export.py; the sheets are described in docs/gst.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from billing_app.api.admin.routing import staff_router
from billing_app.services.gst_export import gstr1_export

# staff only (api/deps.current_staff: 404 to anyone else, before any parameter is read)
router = staff_router("/admin/gst")

Month = Annotated[str, Query(max_length=20, description="an IST calendar month, YYYY-MM")]


@router.get("/gstr1", response_class=Response)
def gstr1_zip(month: Month) -> Response:
    """The zip (b2b.csv, b2cl.csv, b2cs.csv, cdnr.csv, cdnur.csv, hsn_b2b.csv, hsn_b2c.csv,
    docs.csv); 422 invalid_request for a month not written YYYY-MM."""
    export = gstr1_export(month=month)
    return Response(
        content=export.zip_bytes(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{export.zip_name}"'},
    )

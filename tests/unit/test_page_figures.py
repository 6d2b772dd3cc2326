from billing_app.rows.counts import requests_text


def test_request_counts_read_as_a_person_would_say_them():
    assert requests_text(0) == "0 requests"
    assert requests_text(1) == "1 request"
    assert requests_text(1_23_456) == "1,23,456 requests"  # Indian grouping, as on the Usage page

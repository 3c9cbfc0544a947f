"""/api/v1/docs in headless Chromium: Swagger UI, served from /static, renders the operations
under the Content-Security-Policy (script-src 'self'), with no CSP refusal or script error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.web.browser import watch
from tests.web.conftest import LiveApp


@pytest.mark.browser
def test_api_docs_render_every_section_under_our_csp(page: Page, live_app: LiveApp) -> None:
    problems = watch(page)
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_app.base_url) else outside.append(request.url)
        ),
    )
    response = page.goto(live_app.base_url + "/api/v1/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("OnceGov")
    operation = page.locator(".opblock-summary-path", has_text="/api/v1/registry/citizens")
    expect(operation.first).to_be_visible()
    assert page.locator(".opblock").count() >= 30
    # The security schemes show as an "Authorize" button.
    expect(page.locator(".auth-wrapper .authorize")).to_be_visible()
    assert problems == []
    assert outside == []

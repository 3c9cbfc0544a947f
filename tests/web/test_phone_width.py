"""Every main page fits a 375 px phone: no horizontal scroll, no element wider than the screen
(wide tables scroll inside their own box). Headless Chromium, officers' and citizens' pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.web.demo_site import DemoSite, main_pages

WIDTH = 375
# Elements sticking out of the viewport, ignoring those inside a box that scrolls by itself
# (a wide table in its scroll container is the intended way to show it on a phone).
OVERFLOWING = """(width) => {
  const inScroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (['auto', 'scroll'].includes(style.overflowX) && p.clientWidth <= width) return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || inScroller(el)) continue;
    if (box.right > width + 0.5 || box.left < -0.5) {
      const classes = typeof el.className === 'string' ? el.className.trim() : '';
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                   (classes ? '.' + classes.split(/\\s+/).join('.') : '');
      wide.push(`${name} ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 8)};
}"""


@pytest.fixture
def phones(browser: Browser, demo_site: DemoSite) -> Iterator[dict[str, BrowserContext]]:
    """One phone-sized browser per signed-in demo session (its cookies), in Vietnamese."""
    contexts: dict[str, BrowserContext] = {}
    try:
        for who, client in demo_site.clients.items():
            context = browser.new_context(viewport={"width": WIDTH, "height": 800})
            cookies = [
                {"name": c.name, "value": c.value or "", "url": demo_site.base_url}
                for c in client.cookies.jar
                if c.name != "oncegov_lang"
            ]
            context.add_cookies(
                [*cookies, {"name": "oncegov_lang", "value": "vi", "url": demo_site.base_url}]
            )
            contexts[who] = context
        yield contexts
    finally:
        for context in contexts.values():
            context.close()


@pytest.mark.browser
def test_every_main_page_fits_a_375_px_phone(
    phones: dict[str, BrowserContext], demo_site: DemoSite
) -> None:
    problems = {}
    tabs = {who: context.new_page() for who, context in phones.items()}
    for who, path in main_pages(demo_site):
        tab = tabs[who]
        response = tab.goto(demo_site.base_url + path)
        assert response is not None and response.status == 200, (who, path)
        found = tab.evaluate(OVERFLOWING, WIDTH)
        if found["scroll"] > WIDTH or found["wide"]:
            problems[f"{who} {path}"] = found
    report = "\n".join(f"{page}: {found}" for page, found in problems.items())
    assert not problems, report

"""The authenticator QR code scans: the QR dialog is rendered for User IDs of 6, 15 and 74
characters (the shortest, the example file's `mlopez.practice`, the longest the rules allow), an
image is rebuilt from the rendered cells (each cell is two modules: the half blocks' foreground and
background colours) and decoded with a real decoder (zxing-cpp) to the otpauth URI whose secret is
the manual key shown beside it."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
from textual.app import App

import screens.widgets
from screens.widgets import QrScreen
from tests.conftest import FIXED_TOTP_SECRET
from wizard import otp

zxingcpp = pytest.importorskip("zxingcpp")
Image = pytest.importorskip("PIL.Image")

USER_IDS = ["jdoe_p", "mlopez.practice", "a" * 30 + ".b-c_d@" + "e" * 37]


class QrApp(App):
    CSS_PATH = str(Path(screens.widgets.__file__).with_name("app.tcss"))

    def __init__(self, uri: str, key: str) -> None:
        super().__init__()
        self.uri, self.key = uri, key

    def on_mount(self) -> None:
        self.push_screen(QrScreen(self.uri, self.key))


def _luminance(color) -> float:
    if color is None:
        return 0.0
    triplet = color.get_truecolor()
    return 0.299 * triplet.red + 0.587 * triplet.green + 0.114 * triplet.blue


def rendered_cells(app, region) -> list[list[tuple[str, float, float]]]:
    """(character, foreground luminance, background luminance) of every cell in ``region``."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    rows = []
    for y in range(region.y, region.bottom):
        cells = []
        for segment in (segment for strip in update.strips[y] for segment in strip):
            if segment.control:
                continue
            style = segment.style
            fg = _luminance(style.color) if style and style.color else 255.0
            bg = _luminance(style.bgcolor) if style and style.bgcolor else 0.0
            if style and style.reverse:
                fg, bg = bg, fg
            cells.extend((char, fg, bg) for char in segment.text)
        rows.append(cells[region.x : region.right])
    return rows


def image_from_cells(rows, scale: int = 8):
    """One cell = two modules stacked: the upper half is lit by '▀' and '█', the lower by '▄'
    and '█'; a lit half takes the foreground colour, an unlit one the background."""
    width, height = len(rows[0]), len(rows) * 2
    image = Image.new("L", (width, height))
    for y, row in enumerate(rows):
        for x, (char, fg, bg) in enumerate(row):
            top = fg if char in "▀█" else bg
            bottom = fg if char in "▄█" else bg
            image.putpixel((x, 2 * y), int(top))
            image.putpixel((x, 2 * y + 1), int(bottom))
    # a wide white margin, as a phone sees the code on a dark window
    return image.resize((width * scale, height * scale), Image.NEAREST)


@pytest.mark.parametrize("user_id", USER_IDS, ids=lambda u: f"{len(u)}-chars")
async def test_qr_code_decodes_to_the_manual_keys_uri(user_id):
    uri = otp.provisioning_uri(FIXED_TOTP_SECRET, user_id)
    key = otp.group_secret(FIXED_TOTP_SECRET)
    probe = QrScreen(uri, key)
    size = (max(80, probe.min_width + 30), max(24, probe.min_height))
    app = QrApp(uri, key)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, QrScreen) and not screen.has_class("-too-small")
        code = screen.query_one("#qr-code")
        assert (code.region.width, code.region.height) == (screen.qr_width, screen.qr_height)
        image = image_from_cells(rendered_cells(app, code.region))
        results = zxingcpp.read_barcodes(image)
        assert [r.text for r in results] == [uri]
        assert "secret=" + key.replace(" ", "") in results[0].text
        assert urllib.parse.unquote(results[0].text.split("?")[0]).endswith(":" + user_id)


async def test_qr_dialog_gives_the_size_a_long_user_id_needs_at_80x24():
    user_id = USER_IDS[-1]
    assert len(user_id) == 74
    uri = otp.provisioning_uri(FIXED_TOTP_SECRET, user_id)
    key = otp.group_secret(FIXED_TOTP_SECRET)
    app = QrApp(uri, key)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.has_class("-too-small")
        assert not screen.query_one("#qr-code").display
        text = str(screen.query_one("#qr-too-small").render())
        assert f"{screen.min_width}x{screen.min_height}" in text
        assert str(screen.query_one("#qr-key").render()).strip() == key

# Draws assets/demo-receipt.png, the payment screenshot `vpn-ticket-bot demo` uploads (a made-up
# bank app receipt). Run from assets/ with Pillow >= 10.1 installed: python3 make-demo-receipt.py
from PIL import Image, ImageDraw, ImageFont
W, H = 540, 960
img = Image.new("RGB", (W, H), (244, 246, 248))
d = ImageDraw.Draw(img)
f = lambda size: ImageFont.load_default(size=size)
# phone status bar + bank app header
d.rectangle([0, 0, W, 120], fill=(18, 94, 168))
d.text((28, 18), "09:41", font=f(20), fill="white")
d.text((W - 110, 18), "5G  87%", font=f(20), fill="white")
d.text((28, 58), "Example Bank", font=f(36), fill="white")
# success badge
d.ellipse([W//2 - 50, 160, W//2 + 50, 260], fill=(46, 160, 67))
d.line([(W//2 - 24, 212), (W//2 - 6, 232), (W//2 + 28, 190)], fill="white", width=9)
d.text((W//2, 300), "Transfer completed", font=f(34), fill=(30, 30, 30), anchor="mm")
d.text((W//2, 370), "5.00 USD", font=f(64), fill=(20, 20, 20), anchor="mm")
# details card
d.rounded_rectangle([28, 430, W - 28, 860], radius=18, fill="white", outline=(220, 224, 228), width=2)
rows = [
    ("To", "VPN Shop Ltd"),
    ("IBAN", "DE00 1234 5678"),
    ("Reference", "VPN order 1"),
    ("Date", "21 Nov 2026, 09:40"),
    ("Transaction ID", "TX-2026-1121-884213"),
    ("Status", "Completed"),
]
y = 460
for k, v in rows:
    d.text((52, y), k, font=f(22), fill=(110, 116, 124))
    d.text((W - 52, y), v, font=f(22), fill=(25, 25, 25), anchor="ra")
    y += 44
    d.line([(52, y + 12), (W - 52, y + 12)], fill=(236, 238, 240), width=1)
    y += 24
d.text((W//2, 905), "Share receipt", font=f(24), fill=(18, 94, 168), anchor="mm")
img.save("demo-receipt.png", optimize=True)

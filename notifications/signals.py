"""``notice_sent``: sent after a notice is marked sent (sender=Notice, notice=<Notice>).

The app a notice is about may record that its recipient was told (complaints: a real-name reporter's
feedback is "sent" only when its notice was). Receivers run after the row is marked sent; an error in
one is logged and does not make the notice go out again.
"""

from django.dispatch import Signal

notice_sent = Signal()

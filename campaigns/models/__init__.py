"""Models of the campaigns app, split by topic: the yearly civility campaign, a merchant's path
through it (application, reviews, objections, commendation), and the public-service-ad quota.

Statuses are moved only by the services (``campaigns.services``) through the
workflow maps in ``campaigns.workflow``; the models hold data and the database
constraints that make the important rules hold even under concurrency
(one application per merchant and campaign, one commendation list per
campaign and category, one reminder per venue and threshold).
"""

from .ads import *  # noqa: F403
from .application import *  # noqa: F403
from .campaign import *  # noqa: F403

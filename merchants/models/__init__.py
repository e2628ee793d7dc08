"""Models of the merchants app, split by topic: the register, and credit facts and ratings."""

from .accounts import EmailConfirmation  # noqa: F401
from .credit import *  # noqa: F403
from .engagement import MerchantFollower, RoleModelStatus, RoleModelStory  # noqa: F401
from .markets import CommitmentInvitation  # noqa: F401
from .opendata import OpenDataDataset, OpenDataFile, OpenDataFormat  # noqa: F401
from .partners import DecisionKind, PartnerApiKey, PartnerDepartment  # noqa: F401
from .rating import *  # noqa: F403
from .register import (  # noqa: F401
    ClaimCode,
    CreditClass,
    Industry,
    Membership,
    MembershipRole,
    Merchant,
    MerchantKind,
    MerchantStatus,
    Region,
    RegionLevel,
    StaffProfile,
)

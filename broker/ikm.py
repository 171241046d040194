"""The IKM arithmetic, kept in `contract.ikm` so the region's hub computes it the same."""

from contract.ikm import ELEMENTS as ELEMENTS
from contract.ikm import GRADES as GRADES
from contract.ikm import QUICK_CHOICES as QUICK_CHOICES
from contract.ikm import WEIGHT as WEIGHT
from contract.ikm import Element as Element
from contract.ikm import Grade as Grade
from contract.ikm import Ikm as Ikm
from contract.ikm import QuickScore as QuickScore
from contract.ikm import SurveyError as SurveyError
from contract.ikm import check_ratings as check_ratings
from contract.ikm import grade_of as grade_of
from contract.ikm import ikm as ikm
from contract.ikm import ikm_of_sums as ikm_of_sums
from contract.ikm import quick_score as quick_score

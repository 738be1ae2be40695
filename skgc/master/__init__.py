"""The master: the oracle the solvers see, the same for every backend.

:class:`Master` runs rounds on a backend (drawing who straggles), decodes the workers'
coded messages (plainly, or from every worker's latest message), learns the straggling
probabilities and re-optimises the coefficients; :class:`CurvatureOracle` adds the
per-partition curvature that Newton-type steps need; :class:`CompleteGradientOracle`
exact values and gradients under stragglers (every partition delivered at every iterate).
"""

from ._complete import CompleteGradientOracle
from ._curvature import CurvatureOracle
from ._decoding import (ControlVariateDecoder, CurvatureTransport, LatestMessageDecoder,
                        PlainDecoder, make_decoder, move_messages,
                        uses_control_variate)
from ._estimates import CurvatureEstimate, GradientEstimate
from ._master import Master

__all__ = ["Master", "CurvatureOracle", "CompleteGradientOracle", "GradientEstimate",
           "CurvatureEstimate",
           "PlainDecoder", "ControlVariateDecoder", "LatestMessageDecoder",
           "CurvatureTransport", "make_decoder", "uses_control_variate",
           "move_messages"]

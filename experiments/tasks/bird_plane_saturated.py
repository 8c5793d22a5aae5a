"""bird_plane_saturated: the bird/plane model started with its output saturated (Nielsen, ch. 3).

The post's body, head and data, with one change at initialisation: the output unit's bias
starts at logit(start_probability) (0.98 by default, an option recorded in the run's config),
so every image starts at sigma(z) ~ 0.98, "airplane" with confidence: wrong for every bird.
This is where the textbooks expect sigmoid + MSE to learn slowly, since its gradient at the
output carries a factor sigma'(z) = p (1 - p) ~ 0.02, and cross-entropy's does not.
"""

import numpy as np

from experiments.tasks import bird_plane

load_data = bird_plane.load_data


def build_model(units, activation, name, start_probability=0.98):
    if units != 1:
        raise ValueError(f"bird_plane_saturated starts a one-unit head saturated; got {units} units.")
    model = bird_plane.build_model(units, activation, name)
    head = model.layers[-1]
    kernel, bias = head.get_weights()
    logit = np.log(start_probability / (1 - start_probability))
    head.set_weights([kernel, np.full_like(bias, logit)])
    return model

"""One painter per class: each places its kind of object in a ``Street``.

A painter is a function ``sample_x(street, dice, ...) -> list[Polygons]``: it reads the
street's layout and look, draws random numbers from ``dice`` and returns objects made of
world-space polygons, each polygon labelled with a CamVid class. None of them touches a
pixel; ``render`` projects and fills what they make.

| module        | classes                   | objects                                      |
|---------------|---------------------------|----------------------------------------------|
| ``sky``       | sky                       | the gradient and clouds behind everything    |
| ``road``      | road, pavement            | tarmac, kerbs, lane markings, paving joints  |
| ``buildings`` | building (tree)           | terraces and offices, the distant skyline    |
| ``fences``    | fence                     | panel fences and railings                    |
| ``trees``     | tree                      | leafy and bare street trees                  |
| ``poles``     | pole, sign                | lamps, sign posts, traffic lights            |
| ``pedestrians`` | pedestrian              | people on the pavements, some crossing       |
| ``cars``      | car                       | traffic in every lane, parked cars           |
| ``bicyclists`` | bicyclist                | riders ahead or crossing                     |
"""

from fcn_tutorial.datasets.synthetic.painters.bicyclists import sample_bicyclists
from fcn_tutorial.datasets.synthetic.painters.buildings import sample_buildings, sample_skyline
from fcn_tutorial.datasets.synthetic.painters.cars import sample_traffic
from fcn_tutorial.datasets.synthetic.painters.fences import sample_fences
from fcn_tutorial.datasets.synthetic.painters.pedestrians import sample_pedestrians
from fcn_tutorial.datasets.synthetic.painters.poles import sample_poles
from fcn_tutorial.datasets.synthetic.painters.road import ground_marks
from fcn_tutorial.datasets.synthetic.painters.sky import sky_image
from fcn_tutorial.datasets.synthetic.painters.trees import sample_trees

__all__ = [
    "sky_image",
    "ground_marks",
    "sample_buildings",
    "sample_skyline",
    "sample_fences",
    "sample_trees",
    "sample_poles",
    "sample_pedestrians",
    "sample_traffic",
    "sample_bicyclists",
]

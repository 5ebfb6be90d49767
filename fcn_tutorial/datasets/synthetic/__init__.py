"""Procedural driving scenes to segment offline, with exact per-pixel labels.

The tutorial's default dataset is drawn, not downloaded: ``synthetic_driving`` renders
street scenes in CamVid's 11 classes (the SegNet version) with their per-pixel labels, so
every notebook runs without a network connection. Real CamVid uses the same class indices
and ``PALETTE``, so a model trained here can be pointed at the real thing unchanged.

How a scene is made (one model serves both generators), module by module:

1. ``street``: a pinhole camera at ``x = 0``, height ``eye_height``, looking down a
   straight road, sends a world point to column ``u = center_x + focal * x / z`` and row
   ``v = horizon + focal * (eye_height - y) / z``: far objects shrink toward the horizon
   and the road's edges meet at the vanishing point ``(center_x, horizon)``. The street's
   layout (lanes, kerbs, facades) is in metres: ``x`` to the right, ``y`` up, ``z``
   forward along the road.
2. ``painters``: one painter per class (buildings, trees, poles and signs, people, cars
   ...) places objects in the street. Each object is a few flat polygons
   (``geometry.Polygons``), each with a colour and a class. ``scene`` calls the painters
   in a fixed order, since they share one stream of random numbers (``dice``).
3. ``render``: objects are drawn far to near (the painter's algorithm) into an RGB image
   and a label image at once, so a nearer object hides a farther one in both.
4. ``look`` and ``render``: random colours, exposure, texture and noise change the image
   only, so a network has to learn shapes and layout rather than look colours up.

``synthetic_driving`` samples a new scene for every image; ``synthetic_drive`` renders one
scene from a camera that moves forward, which gives a coherent video; ``synthetic_instances``
adds each car, person and bicycle's own id (instance and panoptic segmentation, ``01``).

Introduced with the segmentation data, before the first FCN is trained.
"""

from fcn_tutorial.datasets.synthetic.render import (
    synthetic_drive,
    synthetic_driving,
    synthetic_instances,
)

__all__ = ["synthetic_driving", "synthetic_drive", "synthetic_instances"]

"""The views of each page, in a module named exactly like the page (`pages/<stem>.py`); `estimators`
serves the two estimator pages and the exercises. A page's declaration is in `explorer/ui/declarations`."""

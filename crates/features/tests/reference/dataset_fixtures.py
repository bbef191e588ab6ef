"""Small NumPy-array datasets for the dataset-reader tests, from scikit-learn's `digits`.

Writes ../fixtures/arrays/:
  digits_images.npz        x: uint8 (30, 8, 8) grey images (0..16 scaled to 0..255), y: int64 (30,)
  digits_features.npy      float64 (30, 64) raw pixel features
  digits_features_labels.npy  int64 (30,)
  expected.json            the labels and the first feature row, to check the readers against

Made with Python 3.11, numpy 2.4.6, scikit-learn 1.9.1:
    python3 crates/features/tests/reference/dataset_fixtures.py
"""
import json
import os

import numpy as np
from sklearn.datasets import load_digits

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "arrays")
os.makedirs(out, exist_ok=True)
d = load_digits()
x = d.images[:30]
y = d.target[:30].astype(np.int64)
np.savez(os.path.join(out, "digits_images.npz"), x=np.round(x * 255 / 16).astype(np.uint8), y=y)
np.save(os.path.join(out, "digits_features.npy"), d.data[:30].astype(np.float64))
np.save(os.path.join(out, "digits_features_labels.npy"), y)
json.dump({"labels": y.tolist(), "first_row": d.data[0].tolist(),
           "first_image": np.round(x[0] * 255 / 16).astype(int).reshape(-1).tolist()},
          open(os.path.join(out, "expected.json"), "w"))
print("ok")

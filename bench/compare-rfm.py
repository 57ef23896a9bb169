#!/usr/bin/python3
"""Compare `rfm features` output with the pandas baseline's rfm.csv, customer by customer.

usage: /usr/bin/python3 bench/compare-rfm.py OURS.csv PEER_rfm.csv
  OURS.csv      from: rfm features EXPORT --out OURS.csv   (cid,recency,frequency,monetary)
  PEER_rfm.csv  from the peer baseline's train.py          (CustomerID,Recency,Frequency,Monetary,cluster)
Exit status 1 when the customer sets differ, a recency or frequency differs, or monetary differs
by more than 1e-9 relative.
"""
import sys
import numpy as np
import pandas as pd

ours = pd.read_csv(sys.argv[1], dtype={"cid": str}).set_index("cid")
peer = pd.read_csv(sys.argv[2], dtype={"CustomerID": str}).set_index("CustomerID")
same_ids = set(ours.index) == set(peer.index)
print(f"customers: ours {len(ours)}, peer {len(peer)}, same ids: {same_ids}")
if not same_ids:
    sys.exit(1)
peer = peer.loc[ours.index]
r_bad = int((ours.recency.values != peer.Recency.values).sum())
f_bad = int((ours.frequency.values != peer.Frequency.values).sum())
diff = np.abs(ours.monetary.values - peer.Monetary.values)
rel = diff / np.maximum(1.0, np.abs(peer.Monetary.values))
print(f"recency mismatches {r_bad}, frequency mismatches {f_bad}"
      f", monetary: max abs diff {diff.max():.3g}, max rel diff {rel.max():.3g}, bit-identical {int((diff == 0).sum())}")
sys.exit(0 if r_bad == 0 and f_bad == 0 and rel.max() <= 1e-9 else 1)

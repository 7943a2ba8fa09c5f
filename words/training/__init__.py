"""Training and evaluation tools for the words stage (never imported by the app at run time).

    python -m words.training.feelings   # 7-class feelings in words -> words/weights/feelings.npz
    python -m words.training.crisis     # crisis classifier on the exemplar bank -> words/weights/crisis.npz
"""

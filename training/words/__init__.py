"""Training and evaluation tools for the words stage (never imported by the app at run time).

    python -m training.words.feelings   # 7-class feelings in words -> words/weights/feelings.npz
    python -m training.words.crisis     # crisis classifier on the exemplar bank -> words/weights/crisis.npz
"""

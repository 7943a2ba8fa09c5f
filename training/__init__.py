"""Training and evaluation tools, one folder per stage; the app never imports them.

    python -m training.vision.train / .evaluate / .export   # docs/vision.md
    python -m training.words.feelings / .crisis              # docs/words.md
"""

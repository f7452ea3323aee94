"""The archive as its own training set: a classification model for reviewers, similar
cables, topics and trends (docs/classify.md).

    from cablegram.archive import Archive
    from cablegram import classify

    with Archive("cables.db") as arc:
        model = classify.train(arc)
        classify.store_model(arc, model)          # kept in the archive, with its generation
        p = model.predict(subject="...", paragraphs=["..."], tags=["PGOV"], origin="BAKU",
                          date="2009-05-21")
        print(p.classified, p.level, p.paragraphs)
        classify.build_index(arc)                 # similar cables
        print(classify.similar(arc, "09BAKU433"))
        classify.build_topics(arc)
"""

from cablegram.classify.model import LEVELS, Model, Prediction, train, train_docs
from cablegram.classify.review import (
    REVIEWER,
    is_reviewer,
    load_model,
    model_info,
    predict_cable,
    store_model,
)
from cablegram.classify.similar import SimilarCable, build_index, similar
from cablegram.classify.text import scrub
from cablegram.classify.topics import Topic, build_topics, list_topics, topic_counts
from cablegram.classify.trends import Burst, Series, bursts, trends, trends_csv

__all__ = [
    "LEVELS",
    "REVIEWER",
    "Burst",
    "Model",
    "Prediction",
    "Series",
    "SimilarCable",
    "Topic",
    "build_index",
    "build_topics",
    "bursts",
    "is_reviewer",
    "list_topics",
    "load_model",
    "model_info",
    "predict_cable",
    "scrub",
    "similar",
    "store_model",
    "topic_counts",
    "train",
    "train_docs",
    "trends",
    "trends_csv",
]

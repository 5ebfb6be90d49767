"""A live view of training for notebooks: a progress bar over the steps and a plot per epoch.

Introduced in ``07_self_driving_demo.ipynb`` (the demo trains in front of the reader).
"""

from __future__ import annotations

from fcn_tutorial.viz.results import plot_history

__all__ = ["training_monitor"]


def training_monitor(epochs: int, history: list[dict] | None = None):
    """A Keras callback for notebooks: a progress bar over the steps and a live plot.

    Args:
        epochs: the epochs the run goes to (the plot's x range).
        history: epochs already trained (a resumed run's), drawn from the start.

    Returns:
        keras.callbacks.Callback: pass it to ``training.train(callbacks=[...])``.
    """
    # Keras, IPython and tqdm load here, not on import: the explorers need none of them.
    import keras
    from IPython.display import display
    from tqdm.auto import tqdm

    class TrainingMonitor(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.history = list(history or [])
            self.handle = display(plot_history(self.history, epochs), display_id=True)
            self.bar = None

        def on_epoch_begin(self, epoch, logs=None):
            self.bar = tqdm(total=self.params["steps"], desc=f"epoch {epoch + 1}/{epochs}")

        def on_train_batch_end(self, batch, logs=None):
            self.bar.update(1)

        def on_epoch_end(self, epoch, logs=None):
            self.bar.close()
            self.history.append({"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}})
            self.handle.update(plot_history(self.history, epochs))

    return TrainingMonitor()

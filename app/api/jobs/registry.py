"""(being written)"""


class JobRegistry:
    def __init__(self, settings, store, device):
        self.settings, self.store, self.device = settings, store, device

    def shutdown(self) -> None:
        pass

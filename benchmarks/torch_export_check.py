"""Loads a `metatrain export --names torch` file of the Omniglot CNN into the README's PyTorch
module (strict=True) and compares its logits with `metatrain adapt --steps 0 --json`'s.

    python3 benchmarks/torch_export_check.py MODEL.safetensors ADAPT.json

ADAPT.json's query images must be 28×28 (no resizing: the input is (255 − gray) / 255); the
queries are one batch, as adapt gives them (batch norm uses the batch's own statistics).
Needs torch, safetensors, numpy and Pillow (not needed by the test suite)."""
import json, sys, numpy as np, torch, torch.nn as nn
from PIL import Image
from safetensors.torch import load_file
torch.set_num_threads(1)
# The README's snippet, as written there.
def block(c_in):  # 3×3 cross-correlation, stride 2, padding 1; batch norm with the batch's own statistics
    return nn.ModuleDict({"conv": nn.Conv2d(c_in, 64, 3, stride=2, padding=1),
                          "norm": nn.BatchNorm2d(64, eps=1e-5, track_running_stats=False)})

class OmniglotCNN(nn.Module):
    def __init__(self, ways=5):
        super().__init__()
        self.block1, self.block2, self.block3, self.block4 = block(1), block(64), block(64), block(64)
        self.head = nn.Linear(64, ways)
    def forward(self, x):  # x: [n, 1, 28, 28] float32, ink 1, background 0
        for b in (self.block1, self.block2, self.block3, self.block4):
            x = torch.relu(b["norm"](b["conv"](x)))
        return self.head(x.mean(dim=(2, 3)))

model = OmniglotCNN(ways=5)
model.load_state_dict(load_file(sys.argv[1]), strict=True)
model.eval()
d = json.load(open(sys.argv[2]))
x = np.stack([(255.0 - np.asarray(Image.open(q["file"]).convert("L"), dtype=np.float64)) / 255.0 for q in d["queries"]])
x = torch.tensor(x[:, None], dtype=torch.float32)
with torch.no_grad():
    logits = model(x).numpy()
ref = np.array([q["logits"] for q in d["queries"]])
print("torch", torch.__version__, "strict load ok; largest |torch - adapt| logit difference:", np.abs(logits - ref).max())

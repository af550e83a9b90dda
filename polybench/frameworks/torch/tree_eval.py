"""Tree evaluation in PyTorch: a binary Tree-LSTM(64) over each expression's parse tree, dense 10.

Eager mode computes the batch's nodes one height at a time (the node numbers of each height
are data, read on the host from the postfix tokens): a Python loop whose length and shapes
follow the batch's trees. Graph mode's default is a shift-reduce scan over the postfix steps at
one padded width, each step's children read by position from the states before it, so that
torch.compile sees one shape; ``by-height`` compiles the eager form instead.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from polybench.frameworks.dynamic import node_batch, scan_children
from polybench.frameworks.torch.common import assign, load_linear
from polybench.frameworks.torch.dynamic import TorchDynamic
from polybench.specs.tree_eval import DIGITS, GATES, MAX_TOKENS, TOKENS, UNITS


class TreeLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        # Canonical layouts (x @ kernel): (tokens, 5H), (2H, 5H) the left child's rows first, (5H,).
        self.kernel = nn.Parameter(torch.empty(len(TOKENS), GATES * UNITS))
        self.child_kernel = nn.Parameter(torch.empty(2 * UNITS, GATES * UNITS))
        self.bias = nn.Parameter(torch.empty(GATES * UNITS))
        self.output = nn.Linear(UNITS, DIGITS)

    def cell(self, token_z, h_left, h_right, c_left, c_right):
        """Nodes' (h, c) from their tokens' input projection and their children's states."""
        z = token_z + torch.cat([h_left, h_right], dim=-1) @ self.child_kernel
        i, f_left, f_right, g, o = z.chunk(GATES, dim=-1)
        c = torch.sigmoid(i) * torch.tanh(g) + torch.sigmoid(f_left) * c_left + torch.sigmoid(f_right) * c_right
        return torch.sigmoid(o) * torch.tanh(c), c

    def forward(self, batch):
        if len(batch) == 4:
            return self.scan(*batch)
        return self.by_height(*batch)

    def by_height(self, tokens, left, right, roots, *levels):
        """Every node of the batch (left/right index ``nodes``, a zero state, for a digit), one height at a time."""
        token_z = F.embedding(tokens, self.kernel) + self.bias  # a one-hot token times the kernel: its row
        h = c = token_z.new_zeros(len(tokens) + 1, UNITS)
        for nodes in levels:
            h_new, c_new = self.cell(token_z[nodes], h[left[nodes]], h[right[nodes]], c[left[nodes]], c[right[nodes]])
            h, c = h.index_copy(0, nodes, h_new), c.index_copy(0, nodes, c_new)
        return self.output(h[roots])

    def scan(self, x, left, right, roots):
        """Postfix steps (N, W, tokens), each step's children's positions (N, W; ``W`` for a zero
        state), each tree's root position (N,): one cell per step, padded steps computed too."""
        n, width = left.shape
        token_z = x @ self.kernel + self.bias
        rows = torch.arange(n, device=x.device)
        h = c = x.new_zeros(n, width + 1, UNITS)
        for t in range(width):
            lt, rt = left[:, t], right[:, t]
            h_new, c_new = self.cell(token_z[:, t], h[rows, lt], h[rows, rt], c[rows, lt], c[rows, rt])
            step = torch.tensor([t], device=x.device)
            h, c = h.index_copy(1, step, h_new[:, None]), c.index_copy(1, step, c_new[:, None])
        return self.output(h[rows, roots])


class Implementation(TorchDynamic):
    dynamic_model = "tree_eval"

    def build(self, params):
        model = TreeLSTM()
        assign(model.kernel, params["tree.kernel"])
        assign(model.child_kernel, params["tree.child_kernel"])
        assign(model.bias, params["tree.bias"])
        load_linear(model.output, params, "output")
        return model

    def inputs(self, x, lengths):
        def device(array):
            return torch.from_numpy(np.ascontiguousarray(array)).to(self.device)

        real = int(np.sum(lengths))
        if self.strategy == "scan":
            left, right = scan_children(x, lengths, MAX_TOKENS)
            batch = (device(x.astype(np.float32)), device(left), device(right), device(np.asarray(lengths) - 1))
            return batch, len(lengths) * MAX_TOKENS, real
        nodes = node_batch(x, lengths)
        levels = tuple(device(level) for level in nodes.levels())
        return (device(nodes.tokens), device(nodes.left), device(nodes.right), device(nodes.roots), *levels), real, real

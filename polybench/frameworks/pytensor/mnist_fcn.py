"""MNIST FCN in PyTensor: 784-512-256-10, ReLU, dropout after each hidden layer."""

from polybench.frameworks.pytensor.common import PyTensorImplementation, dense, relu


class Implementation(PyTensorImplementation):
    input_ndim = 2  # (N, 784)

    def graph(self, x, train):
        h = self.dropout(relu(dense(x, self.params, "hidden1")), "hidden1", train)
        h = self.dropout(relu(dense(h, self.params, "hidden2")), "hidden2", train)
        return dense(h, self.params, "output")  # logits: the loss applies the softmax

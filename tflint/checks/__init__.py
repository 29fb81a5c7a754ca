"""All checks; adding a rule family is one module and one line here."""

from tflint.checks.autograph import BranchOnlyVariableCheck, ControlFlowWithoutAutographCheck
from tflint.checks.base import Check
from tflint.checks.conversions import BatchDimensionCheck, ConversionCheck, IdentityTestCheck
from tflint.checks.errors import (
    AssertOnTensorCheck,
    RaiseInTensorBranchCheck,
    TryExceptInGraphCheck,
)
from tflint.checks.graph_calls import (
    EagerOnlyCallCheck,
    KerasObjectInGraphCheck,
    PythonIteratorCheck,
)
from tflint.checks.loops import ListInTensorLoopCheck, TensorBreakCheck, UnrolledLoopCheck
from tflint.checks.numpy_use import NumpyCallCheck, NumpyDtypeLeakCheck, TensorNumpyCheck
from tflint.checks.retracing import FunctionRecreatedCheck, RunEagerlyCheck, ScalarArgumentCheck
from tflint.checks.side_effects import (
    PrintCheck,
    PythonClockCheck,
    PythonIOCheck,
    PythonRandomCheck,
)
from tflint.checks.state import AttributeStateCheck, OuterStateCheck
from tflint.checks.tensor_arrays import DiscardedTensorArrayCheck
from tflint.checks.variables import ConfigLostCheck, VariableInGraphCheck, WeightsInCallCheck

ALL_CHECKS: tuple[type[Check], ...] = (
    PrintCheck,
    PythonIOCheck,
    PythonRandomCheck,
    PythonClockCheck,
    OuterStateCheck,
    AttributeStateCheck,
    PythonIteratorCheck,
    NumpyCallCheck,
    TensorNumpyCheck,
    ConversionCheck,
    NumpyDtypeLeakCheck,
    BatchDimensionCheck,
    EagerOnlyCallCheck,
    IdentityTestCheck,
    VariableInGraphCheck,
    WeightsInCallCheck,
    ConfigLostCheck,
    KerasObjectInGraphCheck,
    ScalarArgumentCheck,
    FunctionRecreatedCheck,
    UnrolledLoopCheck,
    ListInTensorLoopCheck,
    AssertOnTensorCheck,
    TryExceptInGraphCheck,
    RunEagerlyCheck,
    DiscardedTensorArrayCheck,
    RaiseInTensorBranchCheck,
    ControlFlowWithoutAutographCheck,
    BranchOnlyVariableCheck,
    TensorBreakCheck,
)

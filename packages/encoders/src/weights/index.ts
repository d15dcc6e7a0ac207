/**
 * Weight import/export: state-dict types, safetensors and torch `.pth` readers, name maps.
 */

// the state-dict type and its element conversions are @pir/nn's; re-exported here beside the readers
export {
  bfloat16ToFloat,
  DTYPE_BYTES,
  floatToHalf,
  halfToFloat,
  numel,
  type StateData,
  type StateDataOf,
  type StateDict,
  type StateDType,
  type StateTensor,
  toFloat32,
} from '@pir/nn';
export type { ToTensorsOptions } from './convert.js';
export { contiguousStrides, permute, stateDictToTensors } from './convert.js';
export { WeightsError } from './errors.js';
export type { WeightsFormat } from './io.js';
export { detectWeightsFormat, loadWeightsFile, readWeights, saveWeightsFile } from './io.js';
export type { NameMap, NameMapName } from './maps.js';
export { mapStateDict, NAME_MAPS, PIR_ITR_PREFIXES, splitStateDict } from './maps.js';
export type { CheckKeysOptions, KeyReport, NameRule } from './names.js';
export { applyNameMap, checkKeys } from './names.js';
export { PyObject } from './pickle.js';
export type { ReadOptions, SafetensorsEntry, SafetensorsHeader } from './safetensors.js';
export { readSafetensors, readSafetensorsHeader, writeSafetensors } from './safetensors.js';
export type { TensorInfo, TorchCheckpoint, TorchReadOptions } from './torch.js';
export {
  findStateDict,
  flattenTensors,
  isStateTensor,
  readCheckpoint,
  readTorch,
  unpickleTorch,
} from './torch.js';

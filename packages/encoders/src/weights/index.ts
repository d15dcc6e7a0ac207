/**
 * Weight import/export: state-dict types, safetensors and torch `.pth` readers, name maps.
 */

export type { ToTensorsOptions } from './convert.js';
export {
  bfloat16ToFloat,
  contiguousStrides,
  floatToHalf,
  halfToFloat,
  permute,
  stateDictToTensors,
  toFloat32,
} from './convert.js';
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
export type { TorchReadOptions } from './torch.js';
export { findStateDict, flattenTensors, isStateTensor, readTorch, unpickleTorch } from './torch.js';
export type { StateData, StateDataOf, StateDict, StateDType, StateTensor } from './types.js';
export { DTYPE_BYTES, numel } from './types.js';

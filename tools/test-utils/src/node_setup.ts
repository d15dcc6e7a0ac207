/**
 * Node project setup. Dawn (npm `webgpu`) finds Vulkan drivers once per process: point the loader at
 * Chromium's SwiftShader before any test creates a Dawn instance, so the WebGPU tests have a (software)
 * adapter on machines without a GPU. A driver the environment already names is left alone.
 */
import { existsSync } from 'node:fs';

const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (
  process.env.VK_ICD_FILENAMES === undefined &&
  process.env.VK_DRIVER_FILES === undefined &&
  existsSync(swiftshader)
) {
  process.env.VK_ICD_FILENAMES = swiftshader;
}

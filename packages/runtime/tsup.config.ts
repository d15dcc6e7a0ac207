import { pirTsup } from '@pir/build-config/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(pirTsup());

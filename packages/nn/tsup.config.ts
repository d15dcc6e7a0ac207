import { defineConfig } from 'tsup';
import { pirTsup } from '../../tools/build/tsup';

export default defineConfig(pirTsup());

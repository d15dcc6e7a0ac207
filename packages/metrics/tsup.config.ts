import { pirTsup } from '../../tools/build/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(pirTsup());

// `npm run build` runs this after tsc: it saves classify's phrase automaton beside the compiled
// classify module (see automaton_file.ts), so processes load it instead of building it.
import { saveAutomaton } from './classify.js';

saveAutomaton();

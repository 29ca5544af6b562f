// `mailsight validate -c FILE...`: exit 0 when every file is valid, else print each problem as
// file:line:col: key.path: reason and exit 3.
import { ConfigError, loadConfigFile } from '../config/loader.js';
import { registry } from '../components.js';
import { EXIT } from './exit_codes.js';

export function validateCommand(files: string[], out: (s: string) => void, err: (s: string) => void): number {
  let code: number = EXIT.OK;
  for (const file of files) {
    try {
      loadConfigFile(file, registry);
      out(`${file}: valid`);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      err(e.message);
      code = EXIT.CONFIG;
    }
  }
  return code;
}

import sys

from thidua.cli.main import main

sys.exit(main())

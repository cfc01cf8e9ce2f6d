from tfm1.cli import main

raise SystemExit(main())

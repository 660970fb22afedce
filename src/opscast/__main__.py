from opscast.cli import main

main()

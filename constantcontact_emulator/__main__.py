from constantcontact_emulator.cli import main

main()
